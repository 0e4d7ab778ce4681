# Vehicle registry: the owner of the vehicle in a report, shown only to the agency's executors.
registry-owner-heading = Владелец транспортного средства
registry-owner-name = Владелец
registry-owner-vehicle = Марка и модель
registry-owner-found = Владелец найден в реестре.
registry-owner-pending = Запрос в реестр транспортных средств ещё не выполнен: реестр недоступен или запрос стоит в очереди. Данные появятся здесь автоматически.
registry-owner-unknown = Реестр транспортных средств не знает этот номер.
registry-owner-failed = Реестр транспортных средств не ответил на все попытки запроса. Сообщите администратору.
registry-owner-notice = Персональные данные: видны только исполнителям ведомства, не передавайте их заявителю.

# Staff search over reports on the queue page.
search-label = Поиск по номеру, описанию, адресу или госномеру
search-submit = Найти
search-hint = Регистр и буквы «ё»/«е» не важны; госномер можно ввести латиницей и с пробелами, например A123BC 77.
search-results-heading = Результаты поиска: «{ $query }»
search-nothing-found = Ничего не найдено. Проверьте запрос или сократите его до части слова или номера.
search-query-too-long = Запрос слишком длинный: не больше { $max } { $max ->
        [one] символа
       *[other] символов
    }. Сократите его и повторите поиск.
search-staff-only = Поиск по всем обращениям доступен только сотрудникам. Ваши обращения перечислены в личном кабинете.
