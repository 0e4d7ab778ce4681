# Уведомления по SMS. Каждое сообщение должно умещаться в две части SMS (до 134 знаков
# кириллицей вместе со ссылкой), поэтому тексты короткие и без подробностей.
sms-status = Помощник города: обращение № { $number }, статус «{ $status }». { $url }
sms-message = Помощник города: новое сообщение по обращению № { $number }. { $url }
sms-escalation = Помощник города: просрочено обращение № { $number }. { $url }
sms-digest = Помощник города: { $count ->
    [one] { $count } новое уведомление
    [few] { $count } новых уведомления
   *[many] { $count } новых уведомлений
} по обращениям. { $url }

# Настройки уведомлений по SMS.
sms-settings-heading = Уведомления по SMS
sms-settings-intro = Короткое сообщение со статусом обращения и ссылкой на его карточку придёт на телефон { $phone }.
sms-settings-legend = Когда присылать SMS
sms-mode-immediate = Сразу после каждого изменения
sms-mode-digest = Одним сообщением раз в день, в 9:00 по московскому времени
sms-mode-off = Не присылать
sms-settings-save = Сохранить
sms-settings-saved = Настройки уведомлений по SMS сохранены.

# Список недоставленных уведомлений для администратора.
sms-failed-deliveries-channel = Канал
sms-channel-email = Электронная почта
sms-channel-push = Браузер
sms-channel-sms = SMS
