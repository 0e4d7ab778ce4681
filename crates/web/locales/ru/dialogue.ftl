# The dialogue on a report between its author and the staff who handle it.

dialogue-heading = Переписка по обращению
dialogue-empty = Сообщений пока нет.
dialogue-author-resident = Заявитель
dialogue-author-moderator = Модератор
dialogue-author-executor = Исполнитель
dialogue-author-admin = Администратор
dialogue-kind-question = вопрос по обращению
dialogue-kind-answer = ответ на запрос уточнения
dialogue-kind-reopen = вопрос не решён
dialogue-message-label = Сообщение
dialogue-message-submit = Отправить сообщение
dialogue-answer-label = Ваш ответ на запрос уточнения
dialogue-answer-submit = Отправить ответ
dialogue-files = Файлы
dialogue-files-hint = До 5 файлов: фото, видео или документы, как в обращении.
dialogue-reopen-files = Фото или документы, которые показывают, что проблема осталась
dialogue-info-request-label = Что нужно от заявителя
dialogue-info-request-hint = По одному пункту в строке, например «Фото таблички с номером дома».
dialogue-info-request-intro = Чтобы продолжить работу, ведомству нужно:
dialogue-question-hint = Обращение не менялось больше 10 рабочих дней. Вы можете задать вопрос исполнителю.
dialogue-question-label = Ваш вопрос
dialogue-question-submit = Задать вопрос по обращению
dialogue-error-text-required = Напишите текст сообщения.
dialogue-error-text-too-long = Сообщение длиннее { $limit } знаков. Сократите его.
dialogue-error-question-early = Вопрос можно задать, если обращение не менялось больше { $days ->
    [one] { $days } рабочего дня
   *[other] { $days } рабочих дней
}. Пока дождитесь ответа ведомства.
dialogue-notification-line = Обращение № { $number }: новое сообщение
dialogue-live-message = В переписке новое сообщение.
dialogue-mail-subject = Обращение № { $number }: новое сообщение
dialogue-mail-message = По обращению № { $number } «{ $category }» пришло новое сообщение.
dialogue-mail-text = Сообщение: { $text }

escalation-notification-line = Обращение № { $number } просрочено
escalation-mail-subject = Просрочено обращение № { $number }
escalation-mail-overdue = Срок ответа по обращению № { $number } «{ $category }» истёк, а решения нет. Статус: { $status }.
