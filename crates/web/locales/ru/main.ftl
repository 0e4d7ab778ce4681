## Общие элементы страниц

service-name = Помощник города
skip-to-content = Перейти к содержанию
nav-label = Основное меню
nav-new-report = Подать обращение
nav-my-reports = Мои обращения
nav-queue = Очередь обращений
nav-notifications = Уведомления
nav-logout = Выйти
nav-login = Войти
nav-account = Профиль
unread-count = { $count ->
    [one] { $count } непрочитанное уведомление
    [few] { $count } непрочитанных уведомления
   *[many] { $count } непрочитанных уведомлений
}
footer-text = Помощник города — сервис обращений жителей Москвы в городские ведомства.
list-next-page = Следующая страница

## Главная и вход

home-title = Главная
home-heading = Сообщите о проблеме в городе
home-lead = Неправильная парковка, мусор, сломанная скамейка, незаконная торговля — отправьте обращение с фото и местом, а ответственное ведомство рассмотрит его в установленный срок.
home-how-heading = Как это работает
home-step-1 = Выберите тему обращения и укажите место на карте или адрес.
home-step-2 = Опишите проблему и приложите фото или видео.
home-step-3 = Следите за рассмотрением в разделе «Мои обращения».
login-title = Вход
login-email = Электронная почта
login-password = Пароль
login-submit = Войти
login-providers-heading = Или войдите через
login-with-provider = Войти через { $provider }
login-providers-new-account = При первом входе через внешний сервис мы создадим для вас личный кабинет, а при следующих входах откроем тот же кабинет.
login-providers-no-merge = Если у вас уже есть учётная запись с паролем, войдите с паролем и привяжите внешний сервис в разделе «Профиль». По совпадению электронной почты учётные записи не объединяются: так никто не сможет войти в чужой кабинет, завладев почтой с тем же адресом.
account-title = Профиль
account-providers-heading = Вход через внешние сервисы
account-providers-lead = Привяжите сервис, чтобы входить в этот кабинет без пароля.
account-no-providers = Вход через внешние сервисы на этом сайте не настроен.
account-provider-linked = привязан
account-provider-link = Привязать
account-providers-no-merge = Привязка возможна только отсюда, после входа в кабинет: учётные записи с одинаковой электронной почтой автоматически не объединяются.

## Подача обращения

categories-title = Выберите тему обращения
categories-lead = Тема определяет ведомство, которое рассмотрит обращение, и срок ответа.
categories-deadline = Срок рассмотрения
categories-search-label = Поиск темы
categories-search-submit = Найти
categories-search-hint = Например: парковка, мусор, скамейка, торговля.
categories-search-results = Найденные темы
categories-search-empty = Ничего не найдено. Попробуйте другое слово или
categories-show-all = посмотрите все темы.
categories-search-found = Найдено тем:
deadline-working-days = { $count ->
    [one] { $count } рабочий день
    [few] { $count } рабочих дня
   *[many] { $count } рабочих дней
}
form-back-to-categories = ← Все темы
form-errors-heading = Обращение не отправлено. Исправьте, пожалуйста:
form-location-legend = Место
form-location-hint = Укажите адрес и координаты места: широту и долготу в градусах, например 55.7558 и 37.6173.
form-address = Адрес или ориентир
form-find-address = Найти место по адресу
form-find-submit = Найти
form-find-hint = Например: Тверская улица 7 или Госпитальная ул 14. Выберите адрес из найденных — координаты заполнятся сами.
form-address-results = Найденные адреса
form-address-none = Адрес не найден. Уточните запрос или введите координаты вручную.
form-map-label = Карта: выберите место нарушения
form-map-hint = Нажмите на карту, чтобы отметить место; координаты и адрес заполнятся сами.
form-duplicates-heading = Рядом уже есть открытые обращения по этой теме
form-duplicates-hint = Если это та же проблема, новое обращение можно не подавать: ведомство уже её рассматривает.
form-duplicates-distance = м от выбранного места
form-duplicates-join = Присоединиться
form-duplicates-photo-alt = Фото обращения №
form-latitude = Широта
form-longitude = Долгота
form-use-my-location = Определить моё местоположение
form-location-found = Координаты определены.
form-location-from-photo = Координаты взяты из фото «{ $file }». Проверьте их и отправьте форму ещё раз.
form-location-failed = Не удалось определить местоположение. Введите координаты вручную.
form-occurred-at = Дата и время, когда вы заметили нарушение (московское время)
form-time-from-file = Дата и время взяты из { $source ->
    [video] видео
   *[photo] фото
} «{ $file }»: оно снято { $time }. Их можно изменить. Проверьте время и отправьте форму ещё раз.
form-description = Описание
form-description-hint = От 20 до 5000 символов: что произошло и где именно.
form-choose = — выберите —
form-files-legend = Фото, видео и документы
form-files-hint = { $count ->
    [one] Можно приложить { $count } файл
    [few] Можно приложить до { $count } файлов
   *[many] Можно приложить до { $count } файлов
}: фото JPEG или PNG до 10 МБ, видео MP4 до 50 МБ, документы PDF, DOC, DOCX, XLS, XLSX до 10 МБ.
form-min-photos = { $count ->
    [one] Для этой темы нужна хотя бы { $count } фотография.
    [few] Для этой темы нужны хотя бы { $count } фотографии.
   *[many] Для этой темы нужны хотя бы { $count } фотографий.
}
form-kept-files = Уже загруженные файлы (снимите отметку, чтобы не прикладывать):
form-files-input = Добавить файлы
form-submit = Отправить обращение
plate-hint = Например, А123ВС77 или A123BC777; латинские буквы заменятся русскими.

## Мои обращения, очередь, уведомления

my-reports-title = Мои обращения
my-reports-empty = Вы ещё не подавали обращений.
my-reports-joined = вы присоединились
column-number = Номер
column-category = Тема
column-date = Дата подачи
column-status = Статус
column-deadline = Срок
queue-title = Очередь обращений
queue-empty = Обращений в очереди нет.
queue-agency-heading = Обращения ведомства: { $agency }
queue-moderation-heading = Обращения на модерации
queue-all-heading = Все обращения
notifications-title = Уведомления
notifications-empty = Уведомлений пока нет.
notification-line = Обращение № { $number }: { $status }
notification-unread = не прочитано
notification-reply = Ответить
notifications-mark-all = Отметить все прочитанными
notifications-marked = { $count ->
    [0] Непрочитанных уведомлений не было.
    [one] { $count } уведомление отмечено прочитанным.
    [few] { $count } уведомления отмечены прочитанными.
   *[many] { $count } уведомлений отмечены прочитанными.
}
notifications-other-area = Другое
filters-heading = Отбор уведомлений
filter-from = С даты
filter-to = По дату
filter-status = Статус
filter-category = Тема
filter-any = Любой
filter-unread = Только непрочитанные
filter-apply = Показать
filter-reset = Сбросить
filter-date-invalid = В поле «{ $field }» дата «{ $value }» не распознана. Введите её в виде ДД.ММ.ГГГГ, например 30.11.2026.
filter-period-reversed = Начало периода позже его конца. Поменяйте даты местами; пока показаны уведомления за всё время.
filter-status-unknown = Такого статуса нет. Выберите статус из списка.
filter-category-unknown = Такой темы нет. Выберите тему из списка.

## Карточка обращения

card-title = Обращение № { $number }
card-heading = Обращение
card-filed-notice = Обращение принято и зарегистрировано под номером { $number }. Следите за его рассмотрением в разделе «Мои обращения».
card-category = Тема
card-agency = Ведомство
card-agency-not-assigned = ещё не назначено
card-filed-at = Подано
card-occurred-at = Время нарушения
card-address = Место
card-deadline = Срок ответа
card-district = Район
card-description = Описание
card-files = Файлы
card-photo-alt = Фото:
card-video-poster-alt = Кадр из видео:
card-original = оригинал
card-warnings = Обратите внимание
warning-photo-far = Фото «{ $file }» снято в { $distance } м от указанного места.
warning-photo-before = Фото «{ $file }» снято { $taken }, намного раньше указанного времени нарушения.
warning-photo-after = Фото «{ $file }» снято { $taken }, уже после подачи обращения.
warning-photo-shared = Файл «{ $file }» уже приложен к обращению № { $numbers }.
card-actions = Действия
dispatch-heading = Передача в системы ведомства
dispatch-all-sent = Все системы ведомства подтвердили получение.
dispatch-partly-sent = Получение подтвердили { $sent } из { $total } { $total ->
    [one] системы
   *[other] систем
}.
dispatch-state-pending = ожидает подтверждения, отправка повторяется
dispatch-state-sent = получено { $time }
dispatch-state-failed = не доставлено, повторов больше не будет
dispatch-attempts = { $count ->
    [one] { $count } попытка
    [few] { $count } попытки
   *[many] { $count } попыток
}
dispatch-last-error = последняя ошибка
card-chronology = Ход рассмотрения
card-joined-notice = Вы присоединились к этому обращению. Уведомления о ходе его рассмотрения будут приходить вам так же, как автору.
card-joined-hint = Вы присоединились к обращению другого жителя: видны его статус и ход рассмотрения, но не данные автора.
card-duplicate-of = Обращение отклонено как дубликат. Рассмотрение продолжается по обращению
action-duplicate-of = Номер исходного обращения (для причины «Дубликат»)
action-duplicate-of-hint = Автор этого обращения будет получать уведомления по исходному.
agency-district-unit = { $agency } ({ $district })
file-size-kb = { $size } КБ
working-days-left = { $count ->
    [one] остался { $count } рабочий день
    [few] осталось { $count } рабочих дня
   *[many] осталось { $count } рабочих дней
}
deadline-overdue = { $count ->
    [one] просрочено на { $count } рабочий день
    [few] просрочено на { $count } рабочих дня
   *[many] просрочено на { $count } рабочих дней
}

action-agency = Ведомство
action-decision = Решение
action-reason = Причина
action-comment = Комментарий
action-answer = Ответить
action-redirect = Перенаправить в другое ведомство
action-under_review = Взять на проверку
action-dispatched = Передать в ведомство
action-in_progress = Взять в работу
action-info_requested = Запросить уточнение у автора
action-resolved = Вынести решение
action-rejected = Отклонить
action-closed = Завершить
action-reopened = Вопрос не решён

## Статусы, решения, причины отклонения

status-accepted = Принято
status-under_review = На проверке
status-dispatched = Передано в ведомство
status-in_progress = В работе
status-info_requested = Требуется уточнение
status-resolved = Рассмотрено
status-rejected = Отклонено
status-reopened = Повторно направлено
status-closed = Завершено
decision-confirmed = Нарушение подтверждено
decision-not_confirmed = Нарушение не подтверждено
decision-fixed = Нарушение устранено
reason-duplicate = Дубликат другого обращения
reason-not_a_violation = Не является нарушением
reason-insufficient_evidence = Недостаточно материалов
reason-outside_city = Место находится за пределами Москвы
reason-abusive = Оскорбительное содержание

## Ошибки

error-title = Ошибка
error-home-link = На главную
error-not_found = Страница или обращение не найдены. Проверьте адрес или номер обращения.
error-unauthorized = Войдите в сервис, чтобы продолжить.
error-forbidden = Это действие вам недоступно.
error-sign_in_expired = Вход не завершён: он начат в другом окне или браузере либо прошло больше 10 минут. Начните вход заново на странице входа.
error-sign_in_cancelled = Вход через { $provider } отменён или не выполнен. Попробуйте войти ещё раз.
error-provider_unavailable = Не удалось связаться с сервисом { $provider }. Попробуйте войти позже или войдите с паролем.
error-provider_response_invalid = Сервис { $provider } прислал ответ, который не прошёл проверку, поэтому вход отклонён. Попробуйте войти ещё раз.
error-esia_not_confirmed = Вход через Госуслуги доступен только с подтверждённой учётной записью. Подтвердите учётную запись на Госуслугах (например, в центре обслуживания, через онлайн-банк или электронной подписью) и войдите снова.
error-provider_email_taken = Учётная запись с электронной почтой из { $provider } уже есть в сервисе. Войдите в неё с паролем и привяжите { $provider } в разделе «Профиль»: автоматически учётные записи не объединяются, чтобы никто не смог войти в чужой кабинет.
error-identity_linked_elsewhere = Эта учётная запись { $provider } уже привязана к другому кабинету.
error-provider_already_linked = К вашему кабинету уже привязана другая учётная запись { $provider }.
error-account_disabled = Учётная запись заблокирована. Обратитесь в службу поддержки.
error-internal = Произошла внутренняя ошибка. Попробуйте ещё раз через несколько минут; введённые данные сохранены на странице.
error-invalid = Данные заполнены неверно.
error-conflict = Обращение уже изменил другой сотрудник. Обновите страницу и повторите действие.
error-duplicate_email = Пользователь с такой электронной почтой уже зарегистрирован.
error-duplicate_idempotency_key = Это обращение уже отправлено.
error-invalid_credentials = Неверная электронная почта или пароль. Проверьте раскладку клавиатуры и попробуйте ещё раз.
error-too_many_requests = Слишком много попыток. Попробуйте снова через { $minutes ->
    [one] { $minutes } минуту
    [few] { $minutes } минуты
   *[other] { $minutes } минут
}.
error-account_not_confirmed = Учётная запись не подтверждена. Подтвердите телефон или электронную почту, чтобы подавать обращения.
error-csrf_failed = Форма устарела или отправлена с другого сайта. Обновите страницу и отправьте её ещё раз.
error-multipart_invalid = Форма передана не полностью. Проверьте соединение и отправьте её ещё раз.
error-field_too_large = Одно из полей формы слишком длинное.
error-invalid_utf8 = Текст формы передан в неверной кодировке. Отправьте форму ещё раз.
error-too_many_files = Файл «{ $file }» не принят: к одному обращению можно приложить не более { $limit } файлов.
error-file_empty = Файл «{ $file }» пустой. Выберите другой файл.
error-file_type_not_allowed = Файл «{ $file }» не принят: по содержимому это не фото JPEG или PNG, не видео MP4 и не документ PDF, DOC, DOCX, XLS или XLSX. Сохраните его в одном из этих форматов; фото с iPhone в формате HEIC можно отправить как JPEG (Настройки → Камера → Форматы → «Наиболее совместимый»).
error-file_too_large = Файл «{ $file }» слишком большой: для этого типа файлов предел — { $limit } МБ. Уменьшите файл и приложите его снова.
error-file_archive_too_large = Файл «{ $file }» не принят: после распаковки документ занимает слишком много места. Сохраните документ заново или пришлите его в формате PDF.
error-file_damaged = Файл «{ $file }» повреждён: изображение не читается полностью (файл обрезан или испорчен). Сохраните фото заново и приложите его ещё раз.
error-file_read_failed = Файл «{ $file }» передан не полностью. Приложите его ещё раз.
error-storage_failed = Не удалось сохранить файл. Попробуйте ещё раз позже.
error-report_part_missing = В запросе нет части «report» с данными обращения.
error-report_part_invalid = Часть «report» не является корректным JSON с данными обращения.
error-occurred_at_invalid = Не удалось распознать дату и время нарушения. Выберите их в календаре или введите в формате ДД.ММ.ГГГГ ЧЧ:ММ.
error-occurred_at_not_rfc3339 = Поле occurred_at должно содержать дату и время в формате RFC 3339 с часовым поясом, например 2026-12-04T10:00:00+03:00.
error-request_too_large = Запрос слишком большой: файлы вместе не должны превышать 251 МБ. Приложите меньше файлов или уменьшите их.
error-geocoder_unavailable = Поиск адреса сейчас недоступен. Укажите координаты вручную или повторите попытку позже.
error-open_data_format_invalid = Формат выгрузки не поддерживается. Укажите format=csv или format=geojson.
error-open_data_date_invalid = Дата не распознана. Укажите её в виде ГГГГ-ММ-ДД, например 2026-11-30.
error-open_data_period_reversed = Начало периода позже его конца. Поменяйте даты местами.
error-open_data_period_restricted = Без входа администратора доступна выгрузка за последние 90 дней. Укажите дату начала не раньше { $earliest }.
error-bbox_invalid = Параметр bbox должен содержать четыре числа через запятую: минимальная долгота, минимальная широта, максимальная долгота, максимальная широта; область не больше 3 градусов по каждой стороне.
error-invalid_query = Параметры запроса указаны неверно: before и limit должны быть целыми числами.
error-invalid_json = Тело запроса не является корректным JSON нужного вида. Проверьте имена и типы полей.
error-idempotency_key_invalid = Заголовок Idempotency-Key должен содержать от 1 до 200 символов.
error-status_unknown = Неизвестный статус.
error-decision_unknown = Неизвестное решение.
error-reason_unknown = Неизвестная причина отклонения.
error-agency_unknown = Такого ведомства нет в справочнике.
error-category_unknown = Такой темы обращения нет. Выберите тему из списка.
error-only_residents_file_reports = Обращения подают жители; сотрудники работают с ними в очереди.
error-transition_not_allowed = Из текущего статуса обращение нельзя перевести в выбранный. Обновите страницу: возможно, статус уже изменился.
error-transition_forbidden = У вас нет права на это действие с обращением.
error-decision_required = Выберите решение по обращению.
error-reason_required = Выберите причину отклонения.
error-comment_required = Напишите комментарий: для этого действия он обязателен.
error-comment_too_long = Комментарий длиннее 5000 символов. Сократите его.
error-agency_required = Выберите ведомство.
error-duplicate_of_required = Укажите номер исходного обращения: без него нельзя отклонить обращение как дубликат.
error-duplicate_of_not_found = Обращение с таким номером не найдено. Номер имеет вид 2026-0000001.
error-duplicate_of_same_report = Обращение не может быть дубликатом самого себя. Укажите номер другого обращения.
error-duplicate_of_is_duplicate = Указанное обращение само отклонено как дубликат. Укажите номер обращения, по которому идёт рассмотрение.
error-only_residents_join_reports = Присоединиться к обращению может только житель.
error-join_own_report = Это ваше обращение: вы и так получаете уведомления о нём.
error-same_agency = Обращение уже находится в этом ведомстве. Выберите другое.
error-reopen_window_closed = Вернуть обращение на рассмотрение можно в течение 30 дней после ответа. Этот срок прошёл — подайте новое обращение.
error-description_too_short = Описание слишком короткое. Минимальная длина — { $min } { $min ->
    [one] символ
    [few] символа
   *[many] символов
}, сейчас — { $actual }.
error-description_too_long = Описание слишком длинное. Максимальная длина — { $max } { $max ->
    [one] символ
    [few] символа
   *[many] символов
}, сейчас — { $actual }.
error-location_required = Укажите место нарушения: широту и долготу.
error-location_outside_city = Указанное место находится за пределами Москвы. Проверьте координаты: обращения принимаются только о нарушениях на территории города.
error-location_invalid = Координаты указаны неверно: широта должна быть от −90 до 90, долгота — от −180 до 180.
error-occurred_at_required = Укажите дату и время нарушения.
error-occurred_at_in_future = Дата и время нарушения ещё не наступили. Укажите время, когда вы его заметили.
error-occurred_at_too_old = Нарушение произошло слишком давно: принимаются обращения о событиях за последние { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
}.
error-address_too_long = Адрес слишком длинный: не больше { $max } символов.
error-field_required = Заполните поле «{ $label }».
error-field_too_long = Поле «{ $label }» слишком длинное: не больше { $max } символов.
error-field_not_a_number = В поле «{ $label }» должно быть число.
error-field_not_a_datetime = В поле «{ $label }» должны быть дата и время.
error-field_value_not_allowed = В поле «{ $label }» выберите значение из списка.
error-plate_empty = Укажите государственный номер в поле «{ $label }».
error-plate_invalid_character = Государственный номер в поле «{ $label }» может содержать только цифры и буквы А, В, Е, К, М, Н, О, Р, С, Т, У, Х.
error-plate_unknown_format = Государственный номер в поле «{ $label }» не похож на российский. Укажите его полностью, с кодом региона, например А123ВС77.
error-plate_invalid_region = В государственном номере в поле «{ $label }» неверный код региона.
error-photos_too_few = Для этой темы нужно приложить не меньше фотографий: требуется { $min }, приложено { $actual }.
error-media_required = Для этой темы нужно приложить фото или видео нарушения.
error-plate_invalid_number = В государственном номере в поле «{ $label }» номер состоит из одних нулей — такие номера не выдаются. Проверьте цифры.

## Open311 GeoReport v2 (/open311/v2)

open311-service-notice = Обращение принято. Модератор проверит его и передаст в ведомство; срок ответа — { $days } { $days ->
    [one] рабочий день
    [few] рабочих дня
   *[many] рабочих дней
} после передачи.
open311-plate-datatype-description = Государственный регистрационный знак, например А123ВС77. В открытых ответах API не показывается.
open311-key-service = Ключ API выдаёт оператор сервиса по запросу разработчика приложения.
error-api_key_missing = Для подачи обращения нужен ключ API в параметре api_key.
error-api_key_invalid = Ключ API неверен или отозван. Запросите новый ключ у оператора сервиса.
error-jurisdiction_unknown = Неизвестный jurisdiction_id: этот сервер обслуживает только «{ $jurisdiction }».
error-service_code_required = Укажите тему обращения в параметре service_code.
error-attribute_unknown = У этой темы нет поля «{ $code }». Список полей темы — в её описании (services/КОД_ТЕМЫ).
error-media_url_not_supported = Ссылки на файлы (media_url) не принимаются. Фото и видео можно приложить к обращению на сайте или через API /api/v1.
error-date_invalid = Параметр { $param } должен содержать дату и время в формате W3C с часовым поясом, например 2026-12-04T10:00:00+03:00.
error-date_range_invalid = Начало периода (start_date) позже его конца (end_date).
error-status_filter_invalid = Параметр status принимает значения open и closed.
error-page_invalid = Параметр page должен быть целым числом от 1, а page_size — от 1 до { $max }.
error-form_invalid = Тело запроса должно быть формой application/x-www-form-urlencoded в кодировке UTF-8.
error-query_invalid = Параметры запроса не удалось разобрать. Проверьте кодирование символов в адресе.
error-too_many_request_ids = В параметре service_request_id можно перечислить не больше { $max } номеров.

## Публичная карта

map-title = Карта проблем
map-lead = Обращения жителей о благоустройстве, уборке и торговле за последние 90 дней. На карте нет личных данных: ни авторов, ни текстов обращений, ни обращений о транспорте.
map-label = Карта обращений
map-list-heading = Последние обращения
map-list-empty = За последние 90 дней публичных обращений нет.
map-column-district = Район
map-truncated = Показаны не все обращения: приблизьте карту.
map-cluster = { $count ->
    [one] { $count } обращение
    [few] { $count } обращения
   *[many] { $count } обращений
}
nav-map = Карта проблем

## E-mail notifications
mail-subject = Обращение № { $number }: { $status }
mail-greeting = Здравствуйте!
mail-accepted = Ваше обращение № { $number } «{ $category }» зарегистрировано. Мы сообщим, когда его статус изменится.
mail-status-changed = Статус обращения № { $number } «{ $category }» изменён: { $status }.
mail-decision = Решение: { $decision }.
mail-reason = Причина: { $reason }.
mail-comment = Комментарий: { $comment }
mail-open-card = Открыть обращение: { $url }
mail-footer = Письмо отправлено автоматически сервисом «Помощник города», отвечать на него не нужно.
mail-unsubscribe = Отписаться от писем: { $url }
mail-digest-subject = { $count ->
    [one] Помощник города: { $count } изменение по вашим обращениям
    [few] Помощник города: { $count } изменения по вашим обращениям
   *[many] Помощник города: { $count } изменений по вашим обращениям
}
mail-digest-intro = { $count ->
    [one] За сутки по вашим обращениям произошло { $count } изменение:
    [few] За сутки по вашим обращениям произошло { $count } изменения:
   *[many] За сутки по вашим обращениям произошло { $count } изменений:
}

## E-mail settings and unsubscribing
email-settings-heading = Письма на электронную почту
email-settings-legend = Когда присылать письма об изменениях по вашим обращениям
email-mode-immediate = Сразу после каждого изменения
email-mode-digest = Одним письмом раз в день, в 9:00 по московскому времени
email-mode-off = Не присылать
email-settings-save = Сохранить
email-settings-saved = Настройки писем сохранены.
error-invalid_delivery_mode = Выберите, когда присылать письма: сразу, раз в день или не присылать.
unsubscribe-title = Отписка от писем
unsubscribe-question = Больше не присылать письма об обращениях на этот адрес? Уведомления в личном кабинете останутся, а включить письма снова можно на странице «Уведомления».
unsubscribe-confirm = Отписаться
unsubscribe-done = Готово: письма больше не будут приходить. Включить их снова можно на странице «Уведомления» в личном кабинете.

## Failed deliveries, for administrators
failed-deliveries-title = Недоставленные уведомления
failed-deliveries-empty = Все уведомления доставлены: по почте, SMS и в браузер.
failed-deliveries-count = { $count ->
    [one] { $count } уведомление не удалось доставить после всех попыток.
    [few] { $count } уведомления не удалось доставить после всех попыток.
   *[many] { $count } уведомлений не удалось доставить после всех попыток.
}
failed-deliveries-retry-all = Отправить все повторно
failed-deliveries-retry = Отправить повторно
failed-deliveries-report = Обращение
failed-deliveries-user = Пользователь (id)
failed-deliveries-attempts = Попыток
failed-deliveries-error = Ответ почтового сервера
failed-deliveries-created = Создано
failed-deliveries-action = Действие

## Live updates of open pages
live-status-changed = Статус обращения изменился: «{ $status }».
live-reload = Обновить страницу

## The answer as PDF
answer-title = Ответ по обращению № { $number }
answer-number = Номер обращения
answer-status = Статус
answer-decided-at = Дата решения
answer-decision = Решение
answer-reason = Причина отказа
answer-text-heading = Ответ исполнителя
answer-no-text = Исполнитель не оставил текста ответа.
answer-no-files = Файлов нет.
answer-file = { $name } ({ $kilobytes } КБ)
answer-footer = Документ сформирован { $at } (московское время) сервисом «Помощник города».
answer-download = Скачать ответ (PDF)
error-answer_not_ready = Ответ по обращению ещё не готов: он появится, когда ведомство примет решение.

## Rating a resolved report
rating-heading = Оценка работы
rating-legend = Как вы оцениваете решение по обращению?
rating-score-1 = 1 — очень плохо
rating-score-2 = 2 — плохо
rating-score-3 = 3 — удовлетворительно
rating-score-4 = 4 — хорошо
rating-score-5 = 5 — отлично
rating-comment = Комментарий (необязательно)
rating-submit = Оценить
rating-current = Оценка автора: { $score } из 5
error-rating_not_author = Оценить решение может только автор обращения.
error-rating_not_available = Оценить обращение можно после того, как ведомство примет решение.
error-rating_score_invalid = Выберите оценку от 1 до 5.
error-rating_comment_too_long = Комментарий к оценке слишком длинный: сократите его до 2000 символов.

## Help, answers to common questions and the support form
help-title = Помощь
nav-help = Помощь
help-hotline = Телефон горячей линии:
faq-heading = Частые вопросы
faq-1-question = Кто рассматривает моё обращение?
faq-1-answer = Сначала его проверяет модератор, затем передаёт в ведомство, которое отвечает за тему: МАДИ, ОАТИ, «Жилищник» района или Департамент торговли и услуг. Ведомство видно в карточке обращения.
faq-2-question = Сколько ждать ответа?
faq-2-answer = Срок зависит от темы и считается в рабочих днях с момента передачи в ведомство. Он указан в карточке обращения. Пока ведомство ждёт от вас уточнения, срок не идёт.
faq-3-question = Почему моё обращение отклонили?
faq-3-answer = Причина указана в карточке обращения: например, место за пределами Москвы, недостаточно материалов или такое обращение уже подано. Если вы не согласны, напишите нам через форму ниже.
faq-4-question = Какие фото можно прикладывать?
faq-4-answer = Фото JPEG или PNG до 10 МБ и видео MP4 до 50 МБ, всего до пяти файлов. Снимки iPhone в формате HEIC пока не принимаются: в настройках камеры выберите «Наиболее совместимые».
faq-5-question = Кто увидит мои данные?
faq-5-answer = Ваш адрес электронной почты не показывается ни на публичной карте, ни в открытых данных: там видны лишь тема, статус, дата и район обращения, без авторов и госномеров.
faq-6-question = Как перестать получать письма?
faq-6-answer = На странице «Уведомления» выберите «Не присылать» или «Одним письмом раз в день». В каждом письме также есть ссылка для отписки.
support-heading = Написать в поддержку
support-topic = Тема вопроса
support-topic-choose = Выберите тему
support-topic-report = Обращение
support-topic-account = Вход и личный кабинет
support-topic-site = Работа сайта
support-topic-other = Другое
support-report-number = Номер обращения, если вопрос о нём (необязательно)
support-text = Ваш вопрос
support-submit = Отправить
support-sign-in = Чтобы написать в поддержку, войдите в сервис. Ответы на частые вопросы доступны без входа.
support-sent = Вопрос № { $id } отправлен. Модератор ответит вам по электронной почте.
error-support_topic_required = Выберите тему вопроса.
error-support_text_required = Напишите ваш вопрос: поле пустое.
error-support_text_too_long = Вопрос слишком длинный: сократите его до 5000 символов.
tickets-title = Вопросы в поддержку
tickets-empty = Открытых вопросов нет.
tickets-user = от
tickets-report = обращение
tickets-close = Закрыть вопрос
nav-tickets = Поддержка
